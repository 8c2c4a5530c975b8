import { describe, expect, it } from "vitest";
import { secretsText } from "./secrets";

describe("where passwords go", () => {
  it("says plainly when there is no keychain, and why", () => {
    const t = secretsText({ version: "0.1.0", secrets: "memory", secrets_note: "the OS keychain did not answer (no D-Bus session)" });
    expect(t.memoryOnly).toBe(true);
    expect(t.text).toContain("Passwords cannot be stored on this machine");
    expect(t.text).toContain("Passwords cannot be stored on this machine: the OS keychain did not answer (no D-Bus session).");
    expect(t.text).toContain("entered again after the app restarts");
  });

  it("names the keychain when there is one", () => {
    const t = secretsText({ version: "0.1.0", secrets: "keychain", secrets_note: null });
    expect(t).toEqual({ memoryOnly: false, text: expect.stringContaining("OS keychain") as unknown as string });
  });

  it("does not claim a keychain before it knows", () => {
    expect(secretsText(null)).toEqual({ memoryOnly: false, text: "" });
  });
});
