import net from "node:net";

/**
 * A TCP port free on 127.0.0.1 right now: the kernel picks it for a listener that closes at once.
 * Another process may take it before the caller binds it; callers use it at once.
 */
export async function freeLoopbackPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
