// The first import of every entry point: stops at once, saying which Node.js is needed and how to
// get it, when the running one is older than package.json's engines.node (./node-version.ts).
// A side-effect import so that it runs before the entry point's other modules are evaluated.
import { exitUnlessSupportedNode } from "./node-version.js";

exitUnlessSupportedNode();
