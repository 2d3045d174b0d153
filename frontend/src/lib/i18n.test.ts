import { describe, expect, it } from "vitest";

import { formatDuration, formatTime, lang, messages } from "./i18n";

const t = messages({
  fr: { hello: "Bonjour {name}", only_fr: "Seulement en français" },
  en: { hello: "Hello {name}" },
});

describe("messages", () => {
  it("speaks French first and English on demand, falling back to French", () => {
    lang.value = "fr";
    expect(t("hello", { name: "Anne" })).toBe("Bonjour Anne");
    lang.value = "en";
    expect(t("hello", { name: "Anne" })).toBe("Hello Anne");
    expect(t("only_fr")).toBe("Seulement en français");
    lang.value = "fr";
  });

  it("shows instants in Paris time", () => {
    // 08:00 UTC in November is 09:00 in Paris.
    expect(formatTime("2026-11-26T08:00:00Z")).toContain("09:00:00");
  });

  it("writes durations the short way", () => {
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(125)).toBe("2 min 05 s");
    expect(formatDuration(3720)).toBe("1 h 02");
  });
});
