/** What the rehearsal screen says about where a full rehearsal runs, from the shell's choice. */
import type { ProviderView } from "../bindings";

export interface ProviderText {
  /** `Docker` or `Local servers`. */
  title: string;
  /** Why, in a sentence. */
  detail: string;
  /** Whether Docker was wanted (auto) and could not be used. */
  fellBack: boolean;
}

/** Drops the CLI flags the engine's messages suggest (`--provider local`…): the window has its own controls. */
function withoutCliAdvice(reason: string): string {
  return reason
    .replace(/\s*\(start one, or set DOCKER_HOST; `--provider local` uses the machine's own servers\)/, "")
    .replace(/, or pass --source-image\/--target-image/, ", or name images below")
    .trim();
}

export function describeProvider(view: ProviderView): ProviderText {
  const reason = view.reason ? withoutCliAdvice(view.reason) : null;
  if (view.provider === "docker") {
    return {
      title: "Docker",
      detail: view.asked === "auto" && reason ? `Throwaway containers: ${reason}.` : "Throwaway containers on the Docker daemon, as chosen.",
      fellBack: false,
    };
  }
  if (view.asked === "auto") {
    return {
      title: "Local servers",
      detail: `Docker: ${reason ?? "not available"}; using the machine's local databases (scratch databases on the two servers chosen below).`,
      fellBack: true,
    };
  }
  return { title: "Local servers", detail: "Scratch databases on the two servers chosen below, as chosen.", fellBack: false };
}
