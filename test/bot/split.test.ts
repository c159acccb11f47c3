import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_LENGTH, splitMessage } from "../../src/bot/split.js";

const runes = (s: string) => [...s].length;

describe("splitMessage", () => {
  it("keeps a short message whole", () => {
    expect(splitMessage("hello")).toEqual(["hello"]);
    const exact = "x".repeat(MAX_MESSAGE_LENGTH);
    expect(splitMessage(exact)).toEqual([exact]);
  });

  it("cuts on line boundaries under the limit and loses nothing", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${"y".repeat(40)}`);
    const text = lines.join("\n");
    const parts = splitMessage(text, 500);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(runes(p)).toBeLessThanOrEqual(500);
    expect(parts.join("\n")).toBe(text);
  });

  it("keeps code fences balanced across parts", () => {
    const body = Array.from({ length: 60 }, (_, i) => `echo ${i} ${"z".repeat(30)}`).join("\n");
    const text = `Output:\n\`\`\`bash\n${body}\n\`\`\`\ndone`;
    const parts = splitMessage(text, 400);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(runes(p)).toBeLessThanOrEqual(400);
      const fences = p.split("\n").filter((l) => l.startsWith("```")).length;
      expect(fences % 2).toBe(0);
    }
    expect(parts[1]!.startsWith("```bash\n")).toBe(true);
  });

  it("cuts a single line longer than the limit", () => {
    const text = "a".repeat(1000);
    const parts = splitMessage(text, 300);
    for (const p of parts) expect(runes(p)).toBeLessThanOrEqual(300);
    expect(parts.join("")).toBe(text);
  });

  it("counts characters, not UTF-16 units", () => {
    const text = "😀".repeat(MAX_MESSAGE_LENGTH);
    expect(splitMessage(text)).toEqual([text]);
  });
});
