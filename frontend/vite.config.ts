import { defineConfig } from "vitest/config";

// The console is served by the Beffroi server itself (same origin as the API), so the
// built files need no absolute host and `npm run dev` proxies the API to a running demo.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
    },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
