import { describe, expect, it } from "vitest";
import {
  containerCreateBody,
  containerDefaults,
  containerState,
  formatDuration,
  liveContainerInputs,
  parseDuration,
  validateContainer,
  type ContainerInputs,
  type ContainerInspect,
} from "../../offline/plugins/docker/containerSpec.js";
import { UNKNOWN } from "../../offline/plugins/core/properties.js";
import { demuxLogs } from "../../offline/plugins/docker/engine.js";

describe("offline docker plugin: parseDuration", () => {
  it("turns Go durations into nanoseconds", () => {
    expect(parseDuration("2s")).toBe(2_000_000_000);
    expect(parseDuration("500ms")).toBe(500_000_000);
    expect(parseDuration("1m30s")).toBe(90_000_000_000);
    expect(parseDuration("1h")).toBe(3_600_000_000_000);
    expect(parseDuration("1.5s")).toBe(1_500_000_000);
    expect(parseDuration("10us")).toBe(10_000);
    expect(parseDuration("0s")).toBe(0);
    expect(parseDuration("0")).toBe(0);
  });

  it("refuses what is not a duration", () => {
    for (const text of ["", "abc", "2x", "2", "1m30", "-1s", " 2s", "2s ", "s", "2 s"])
      expect(parseDuration(text), text).toBeUndefined();
  });
});

describe("offline docker plugin: containerDefaults", () => {
  it("fills in the official provider's defaults", () => {
    const filled = containerDefaults({ image: "img" });
    expect(filled.restart).toBe("no");
    expect(filled.wait).toBe(false);
    expect(filled.waitTimeout).toBe(60);
    expect(filled.mustRun).toBe(true);
    expect(filled.image).toBe("img");
    expect(filled.labels).toBeUndefined();
    expect(filled.ports).toBeUndefined();
  });

  it("keeps values the program set", () => {
    const filled = containerDefaults({ image: "img", restart: "always", wait: true, waitTimeout: 5, mustRun: false });
    expect(filled).toMatchObject({ restart: "always", wait: true, waitTimeout: 5, mustRun: false });
  });

  it("sorts labels by name without touching the input", () => {
    const labels = [
      { label: "z.role", value: "db" },
      { label: "a.project", value: "p" },
      { label: "m.stack", value: "dev" },
    ];
    const filled = containerDefaults({ image: "img", labels });
    expect(filled.labels?.map((l) => l.label)).toEqual(["a.project", "m.stack", "z.role"]);
    expect(labels[0]!.label).toBe("z.role");
  });

  it("gives each port an ip and a protocol unless set", () => {
    const filled = containerDefaults({
      image: "img",
      ports: [{ internal: 80 }, { internal: 53, external: 5353, ip: "127.0.0.1", protocol: "udp" }],
    });
    expect(filled.ports).toEqual([
      { internal: 80, ip: "0.0.0.0", protocol: "tcp" },
      { internal: 53, external: 5353, ip: "127.0.0.1", protocol: "udp" },
    ]);
  });
});

describe("offline docker plugin: validateContainer", () => {
  it("accepts implemented settings", () => {
    expect(
      validateContainer({
        image: "img",
        restart: "unless-stopped",
        mounts: [
          { type: "volume", source: "data", target: "/data" },
          { type: "bind", source: "/host", target: "/in", readOnly: true },
        ],
        ports: [{ internal: 80, external: 8080, ip: "127.0.0.1", protocol: "tcp" }],
        networksAdvanced: [{ name: "net", aliases: ["db"] }],
        healthcheck: { tests: ["CMD", "true"], interval: "2s", timeout: "500ms", retries: 3, startPeriod: "1m30s" },
        labels: [{ label: "a", value: "b" }],
        uploads: [{ file: "/x", content: "y", executable: false }],
      }),
    ).toEqual([]);
  });

  it("refuses an unknown nested key and names it", () => {
    const failures = validateContainer({
      image: "img",
      mounts: [{ type: "bind", source: "/h", target: "/c", bindOptions: { propagation: "rshared" } }],
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe("mounts.bindOptions");
    expect(failures[0]!.reason).toContain("mounts.bindOptions");
  });

  it("refuses unknown keys in the healthcheck object and in networks", () => {
    const failures = validateContainer({
      image: "img",
      healthcheck: { tests: ["CMD", "true"], startInterval: "soon" },
      networksAdvanced: [{ name: "n", ipv4Address: "10.0.0.2" }],
    });
    expect(failures.map((f) => f.property).sort()).toEqual(["healthcheck.startInterval", "networksAdvanced.ipv4Address"]);
  });

  it("formats durations as Go does and reads a health check back in that form, as the official provider", () => {
    expect([0, 5e8, 2e9, 60e9, 90e9, 3600e9].map(formatDuration)).toEqual(["0s", "500ms", "2s", "1m0s", "1m30s", "1h0m0s"]);
    for (const text of ["1m0s", "1m30s", "2s", "500ms", "1h0m0s"]) expect(formatDuration(parseDuration(text)!)).toBe(text);
    const inputs = { image: "img", name: "c", healthcheck: { tests: ["CMD", "true"], interval: "2s", startPeriod: "60s" } };
    const info = {
      Name: "/c",
      Config: { Hostname: "h", Healthcheck: { Interval: 2e9, Timeout: 0, StartPeriod: 60e9 } },
    } as unknown as ContainerInspect;
    // "60s" in the program reads back as "1m0s": drift, exactly as the official plugin reports it.
    expect(liveContainerInputs(info, inputs as never).healthcheck).toMatchObject({
      interval: "2s",
      startPeriod: "1m0s",
      startInterval: "0s",
    });
  });

  it("sends a health check's start interval only when one is set (engines before API 1.44 drop it)", () => {
    const withStart = containerCreateBody({
      image: "img",
      name: "c",
      healthcheck: { tests: ["CMD", "true"], interval: "10s", startInterval: "1s" },
    } as never);
    expect(withStart.Healthcheck?.StartInterval).toBe(1_000_000_000);
    const without = containerCreateBody({ image: "img", name: "c", healthcheck: { tests: ["CMD", "true"] } } as never);
    expect(without.Healthcheck).not.toHaveProperty("StartInterval");
  });

  it("refuses mount types other than volume and bind", () => {
    const failures = validateContainer({ image: "img", mounts: [{ type: "tmpfs", target: "/tmp" }] });
    expect(failures).toEqual([expect.objectContaining({ property: "mounts.type" })]);
    expect(failures[0]!.reason).toContain('"tmpfs"');
  });

  it("refuses a restart policy Docker does not have", () => {
    const failures = validateContainer({ image: "img", restart: "sometimes" });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe("restart");
    expect(failures[0]!.reason).toContain('"sometimes"');
  });

  it("refuses a health check duration it cannot parse", () => {
    const failures = validateContainer({
      image: "img",
      healthcheck: { tests: ["CMD", "true"], interval: "2 seconds", timeout: "5s" },
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe("healthcheck.interval");
    expect(failures[0]!.reason).toContain('"2 seconds"');
  });

  it("skips values not known yet", () => {
    expect(
      validateContainer({
        image: "img",
        restart: UNKNOWN,
        mounts: [{ type: UNKNOWN, target: "/x" }],
        healthcheck: { tests: ["CMD", "true"], interval: UNKNOWN },
      }),
    ).toEqual([]);
  });
});

describe("offline docker plugin: containerCreateBody", () => {
  const inputs: ContainerInputs = {
    name: "confradar-dev-postgres",
    image: "postgres:16",
    envs: ["POSTGRES_DB=app", "POSTGRES_USER=app"],
    command: ["postgres", "-c", "fsync=off"],
    entrypoints: ["docker-entrypoint.sh"],
    user: "postgres",
    labels: [
      { label: "b", value: "2" },
      { label: "a", value: "1" },
    ],
    ports: [
      { internal: 5432, ip: "127.0.0.1" },
      { internal: 8080, external: 18080, ip: "127.0.0.1" },
      { internal: 53, external: 5353, protocol: "udp" },
    ],
    mounts: [
      { type: "volume", source: "pgdata", target: "/var/lib/postgresql/data" },
      { type: "bind", source: "/host/init", target: "/docker-entrypoint-initdb.d", readOnly: true },
    ],
    networksAdvanced: [
      { name: "confradar-dev", aliases: ["postgres", "db"] },
      { name: "other", aliases: ["x"] },
    ],
    healthcheck: { tests: ["CMD-SHELL", "pg_isready"], interval: "2s", timeout: "500ms", retries: 5, startPeriod: "1m30s" },
    stopSignal: "SIGINT",
    stopTimeout: 30,
    restart: "unless-stopped",
  };

  it("maps name, image, envs, command, entrypoint and user", () => {
    const body = containerCreateBody(inputs);
    expect(body.name).toBe("confradar-dev-postgres");
    expect(body.Image).toBe("postgres:16");
    expect(body.Env).toEqual(["POSTGRES_DB=app", "POSTGRES_USER=app"]);
    expect(body.Cmd).toEqual(["postgres", "-c", "fsync=off"]);
    expect(body.Entrypoint).toEqual(["docker-entrypoint.sh"]);
    expect(body.User).toBe("postgres");
    expect(body.Labels).toEqual({ a: "1", b: "2" });
    expect(body.StopSignal).toBe("SIGINT");
    expect(body.StopTimeout).toBe(30);
    expect(body.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped" });
  });

  it("binds ports, with an empty host port when no external port is given", () => {
    const body = containerCreateBody(inputs);
    expect(body.ExposedPorts).toEqual({ "5432/tcp": {}, "8080/tcp": {}, "53/udp": {} });
    expect(body.HostConfig.PortBindings).toEqual({
      "5432/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
      "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "18080" }],
      "53/udp": [{ HostIp: "0.0.0.0", HostPort: "5353" }],
    });
  });

  it("gives health check durations in nanoseconds", () => {
    expect(containerCreateBody(inputs).Healthcheck).toEqual({
      Test: ["CMD-SHELL", "pg_isready"],
      Interval: 2_000_000_000,
      Timeout: 500_000_000,
      Retries: 5,
      StartPeriod: 90_000_000_000,
    });
  });

  it("creates on the default bridge mode, as the official provider (networks are connected after create)", () => {
    const body = containerCreateBody(inputs);
    expect(body.HostConfig.NetworkMode).toBe("bridge");
    expect(body).not.toHaveProperty("NetworkingConfig");
  });

  it("maps mounts", () => {
    expect(containerCreateBody(inputs).HostConfig.Mounts).toEqual([
      { Type: "volume", Source: "pgdata", Target: "/var/lib/postgresql/data", ReadOnly: false },
      { Type: "bind", Source: "/host/init", Target: "/docker-entrypoint-initdb.d", ReadOnly: true },
    ]);
  });

  it("leaves out what the program did not set", () => {
    const body = containerCreateBody({ image: "alpine" });
    expect(body.name).toBe("");
    expect(body).not.toHaveProperty("Env");
    expect(body).not.toHaveProperty("Cmd");
    expect(body).not.toHaveProperty("Entrypoint");
    expect(body).not.toHaveProperty("User");
    expect(body).not.toHaveProperty("Healthcheck");
    expect(body).not.toHaveProperty("StopSignal");
    expect(body).not.toHaveProperty("StopTimeout");
    expect(body).not.toHaveProperty("NetworkingConfig");
    expect(body.HostConfig.NetworkMode).toBe("bridge");
    expect(body.HostConfig.RestartPolicy).toEqual({ Name: "no" });
    expect(body.HostConfig.PortBindings).toEqual({});
    expect(body.ExposedPorts).toEqual({});
    expect(body.Labels).toEqual({});
  });

  it("records the official provider's settings and what Docker filled in", () => {
    const state = containerState(
      {
        Id: "c",
        Name: "/c",
        State: { Running: true, Status: "running", ExitCode: 0 },
        Config: { Hostname: "h", Entrypoint: ["docker-entrypoint.sh"], Tty: false },
        HostConfig: { NetworkMode: "bridge", ShmSize: 67108864, IpcMode: "private" },
        NetworkSettings: {},
      },
      { image: "alpine" },
    );
    expect(state).toMatchObject({
      networkMode: "bridge",
      entrypoints: ["docker-entrypoint.sh"],
      shmSize: 64,
      attach: false,
      start: true,
      removeVolumes: true,
      rm: false,
      tty: false,
    });
  });

  it("uses zero for health check durations left out", () => {
    const body = containerCreateBody({ image: "alpine", healthcheck: { tests: ["CMD", "true"] } });
    expect(body.Healthcheck).toEqual({ Test: ["CMD", "true"], Interval: 0, Timeout: 0, Retries: 0, StartPeriod: 0 });
  });
});

describe("offline docker plugin: containerState", () => {
  const inspect = (overrides: Partial<ContainerInspect> = {}): ContainerInspect => ({
    Id: "abc",
    Name: "/c1",
    State: { Running: true, Status: "running", ExitCode: 0 },
    Config: { Hostname: "abc123" },
    NetworkSettings: {
      Ports: {
        "5432/tcp": [
          { HostIp: "127.0.0.1", HostPort: "49153" },
          { HostIp: "::1", HostPort: "49154" },
        ],
        "53/udp": [{ HostIp: "0.0.0.0", HostPort: "5353" }],
      },
      Networks: {
        net: {
          IPAddress: "172.18.0.2",
          Gateway: "172.18.0.1",
          MacAddress: "02:42:ac:12:00:02",
          GlobalIPv6Address: "",
          IPPrefixLen: 16,
        },
      },
    },
    ...overrides,
  });

  it("takes the external port Docker chose from the inspect", () => {
    const state = containerState(inspect(), {
      image: "img",
      ports: [
        { internal: 5432, ip: "127.0.0.1" },
        { internal: 53, external: 5353, protocol: "udp" },
        { internal: 9000, external: 9001 },
      ],
    });
    expect(state.ports).toEqual([
      { internal: 5432, external: 49153, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 53, external: 5353, ip: "0.0.0.0", protocol: "udp" },
      // Not in the inspect: the input's external port.
      { internal: 9000, external: 9001, ip: "0.0.0.0", protocol: "tcp" },
    ]);
  });

  it("reports network data and hostname, and no ports when none were asked", () => {
    const state = containerState(inspect(), { image: "img" });
    expect(state).not.toHaveProperty("ports");
    expect(state.hostname).toBe("abc123");
    expect(state.networkDatas).toEqual([
      {
        networkName: "net",
        ipAddress: "172.18.0.2",
        gateway: "172.18.0.1",
        macAddress: "02:42:ac:12:00:02",
        ipPrefixLength: 16,
        globalIpv6Address: "",
      },
    ]);
    expect(state).not.toHaveProperty("exitCode");
  });

  it("reports the exit code of a stopped container and copes with null ports", () => {
    const state = containerState(
      inspect({
        State: { Running: false, Status: "exited", ExitCode: 3 },
        NetworkSettings: { Ports: null },
      }),
      { image: "img", ports: [{ internal: 80 }] },
    );
    expect(state.exitCode).toBe(3);
    expect(state.networkDatas).toEqual([]);
    expect(state.ports).toEqual([{ internal: 80, external: 0, ip: "0.0.0.0", protocol: "tcp" }]);
  });
});

describe("demuxLogs", () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it("joins the payloads of the engine's multiplexed frames, stdout and stderr alike", () => {
    expect(demuxLogs(Buffer.concat([frame(1, "ready\n"), frame(2, "FATAL: no\n")]))).toBe("ready\nFATAL: no\n");
  });

  it("passes text that has no frames (a container with a TTY)", () => {
    expect(demuxLogs(Buffer.from("plain log line\n"))).toBe("plain log line\n");
  });
});
