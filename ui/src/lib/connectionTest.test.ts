import { describe, expect, it } from "vitest";
import { describeServer, describeTestFailure } from "./connectionTest";

describe("connection test", () => {
  it("names the engine and the version the server reported", () => {
    expect(describeServer({ engine: "postgres", version: "15.19 (Debian 15.19-0+deb12u1)" })).toBe("Connected: PostgreSQL 15.19 (Debian 15.19-0+deb12u1)");
    expect(describeServer({ engine: "mysql", version: "10.11.6-MariaDB-0+deb12u1" })).toBe("Connected: MariaDB 10.11.6-MariaDB-0+deb12u1");
    expect(describeServer({ engine: "mysql", version: "8.0.36" })).toBe("Connected: MySQL/MariaDB 8.0.36");
  });

  it("leads a failure with its stable code", () => {
    expect(describeTestFailure({ code: "database", message: "postgres://postgres@127.0.0.1:1/postgres: cannot connect: refused", hint: null, field: null })).toBe(
      "database: postgres://postgres@127.0.0.1:1/postgres: cannot connect: refused",
    );
  });
});
