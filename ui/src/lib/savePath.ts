/** Where to save an export: the native save dialog. */
import { save } from "@tauri-apps/plugin-dialog";

declare global {
  interface Window {
    /**
     * Set only by the end-to-end test (through WebDriver), which cannot drive the native
     * dialog: the export then goes to this path. It changes nothing else.
     */
    __MIGRATION_STUDIO_E2E_SAVE_PATH__?: string;
  }
}

export async function chooseSavePath(defaultName: string, extension: string, label: string): Promise<string | null> {
  const forced = window.__MIGRATION_STUDIO_E2E_SAVE_PATH__;
  if (typeof forced === "string" && forced !== "") return forced.endsWith(`.${extension}`) ? forced : `${forced}.${extension}`;
  return save({ defaultPath: defaultName, filters: [{ name: label, extensions: [extension] }] });
}
