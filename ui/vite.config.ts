import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Hoist UI: a plain Vite app served to the Tauri webview.
// The Tauri shell expects the dev server on 1420 and the bundle in ui/dist.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: ["es2021", "safari15"],
    // Keep every asset a separate file: the CSP allows no inline styles or scripts.
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
