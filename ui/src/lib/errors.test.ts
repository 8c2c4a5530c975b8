import { describe, expect, it } from "vitest";
import { CommandError, describeError, unwrap } from "./errors";

describe("errors", () => {
  it("shows a typed error by its code with its hint", () => {
    const e = new CommandError({ code: "invalid_manifest", message: "migration-studio.toml:4: bad", hint: "Fix it", field: null });
    expect(describeError(e)).toEqual({ title: "The project manifest needs fixing", detail: "migration-studio.toml:4: bad", fix: "Fix it" });
  });

  it("never shows a stack", () => {
    const e = new Error("boom\n    at foo (x.js:1)");
    expect(describeError(e).detail).toBe("boom");
  });

  it("unwraps results", () => {
    expect(unwrap({ status: "ok", data: 3 })).toBe(3);
    expect(() => unwrap({ status: "error", error: { code: "busy", message: "m", hint: null, field: null } })).toThrow(CommandError);
  });
});
