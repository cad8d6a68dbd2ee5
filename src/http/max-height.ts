/**
 * The highest height the API takes (and its text): 15 digits, so every height it
 * takes is exact as a JavaScript number. Refusals name the range: "integer
 * ≥ 1" of a 16-digit height was no reason (a probe, 2026-12-03).
 */
export const MAX_HEIGHT = 999_999_999_999_999
export const MAX_HEIGHT_TEXT = String(MAX_HEIGHT)
