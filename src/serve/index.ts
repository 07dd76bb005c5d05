// The local explorer: an HTTP API over run folders plus the web UI in web/.
export { startServer, defaultWebDir, type ServerOptions, type ExplorerServer } from './server.js';
export type { LatentEdit, RunMeta, LatentsReply } from './protocol.js';
