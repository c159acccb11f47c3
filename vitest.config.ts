import { defineConfig } from "vitest/config";

// The test workers inherit these (glibc reads them at process start). With its defaults, glibc
// keeps one arena per thread that ever allocated (the libuv pool hashes passwords, compresses)
// and raises its mmap threshold after a large free, so freed memory stays resident: the fuzz
// suites' RSS figures (test/fuzz) then measure the allocator's retention (+37 MB over 26,000
// sandbox requests, the JS heap +2.5 MB), not what the process holds. Set either to override.
process.env.MALLOC_ARENA_MAX ??= "2";
process.env.MALLOC_MMAP_THRESHOLD_ ??= "131072";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // e2e suites start servers on ephemeral ports; files run in parallel workers.
    pool: "forks",
  },
});
