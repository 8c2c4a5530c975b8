/** What a connection's "Test" says: the server that answered, or the error by its stable code. */
import type { AppError, ConnectionEngine, ServerInfo } from "../bindings";

const engines: Record<ConnectionEngine, string> = { postgres: "PostgreSQL", mysql: "MySQL/MariaDB", sqlite: "SQLite" };

/** `Connected: PostgreSQL 15.19 (Debian 15.19-0+deb12u1)`; MariaDB names itself in its version. */
export function describeServer(server: ServerInfo): string {
  const engine = server.engine === "mysql" && /mariadb/i.test(server.version) ? "MariaDB" : engines[server.engine];
  return `Connected: ${engine} ${server.version}`.trim();
}

/** `database: 127.0.0.1:1: cannot connect: …`, the code first, as the CLI's reports put it. */
export function describeTestFailure(error: AppError): string {
  return `${error.code}: ${error.message}`;
}
