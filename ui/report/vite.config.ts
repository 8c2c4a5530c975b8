/**
 * Builds the HTML report's charts (`ui/report/main.tsx`) into one self-contained script,
 * `src/rehearsal/assets/report_charts.js`, which the engine embeds with `include_str!`. The file
 * is committed so the engine builds without Node; CI rebuilds it and fails if it differs.
 */
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  logLevel: "warn",
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: here("../../src/rehearsal/assets"),
    emptyOutDir: false,
    target: "es2020",
    copyPublicDir: false,
    lib: {
      entry: here("./main.tsx"),
      formats: ["iife"],
      name: "MigrationStudioReportCharts",
      fileName: () => "report_charts.js",
    },
  },
});
