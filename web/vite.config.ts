/// <reference types="vitest/config" />
// Vite builds the app into dist/, which the velocity binary serves (and embeds in release
// builds). `npm run dev` proxies the API to a server on :8080 for hot-reloading work.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
    },
  },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
