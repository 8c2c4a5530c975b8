import { describe, expect, it } from "vitest";
import { describeProvider } from "./provider";

describe("provider choice", () => {
  it("says why auto fell back to the local servers, without CLI flags", () => {
    const t = describeProvider({
      asked: "auto",
      provider: "local",
      reason:
        "no Docker daemon answers at unix:///var/run/docker.sock: error trying to connect: No such file or directory (os error 2) (start one, or set DOCKER_HOST; `--provider local` uses the machine's own servers)",
      needs_servers: true,
    });
    expect(t.title).toBe("Local servers");
    expect(t.fellBack).toBe(true);
    expect(t.detail).toBe(
      "Docker: no Docker daemon answers at unix:///var/run/docker.sock: error trying to connect: No such file or directory (os error 2); using the machine's local databases (scratch databases on the two servers chosen below).",
    );
  });

  it("says which daemon auto found", () => {
    const t = describeProvider({ asked: "auto", provider: "docker", reason: "a Docker daemon answers at unix:///tmp/d.sock", needs_servers: false });
    expect(t).toEqual({ title: "Docker", detail: "Throwaway containers: a Docker daemon answers at unix:///tmp/d.sock.", fellBack: false });
  });

  it("names an explicit choice", () => {
    expect(describeProvider({ asked: "local", provider: "local", reason: null, needs_servers: true }).detail).toContain("as chosen");
    expect(describeProvider({ asked: "docker", provider: "docker", reason: null, needs_servers: false }).title).toBe("Docker");
  });

  it("turns the image hint into the window's words", () => {
    const t = describeProvider({
      asked: "auto",
      provider: "local",
      reason: "no Docker image for mysql 8: tried a, b (none is present and none could be pulled); build local ones from Debian packages with `migration-studio images build`, or pass --source-image/--target-image",
      needs_servers: true,
    });
    expect(t.detail).toContain("or name images below;");
  });
});
