/**
 * PREDICTION_LOG_INPUTS=redact: what is taken out of logged inputs before they are stored. Pure;
 * the capture side calls it on each field. Order matters: URLs first (they may hold an `@`), then
 * e-mail addresses (before @mentions, which would take their second half), then digit runs.
 */
const URL = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const MENTION = /(^|[^\p{L}\p{N}_@])@[\p{L}\p{N}_]{1,50}/gu;
/** Six or more digits, optionally split by single spaces, dots or dashes: phone, card, account numbers. */
const DIGITS = /\p{N}(?:[ .-]?\p{N}){5,}/gu;

export const REDACTED = {
  url: '[url]',
  email: '[email]',
  mention: '[mention]',
  number: '[number]',
} as const;

export function redactText(text: string): string {
  return text
    .replace(URL, REDACTED.url)
    .replace(EMAIL, REDACTED.email)
    .replace(MENTION, (_match, before: string) => `${before}${REDACTED.mention}`)
    .replace(DIGITS, REDACTED.number);
}

/** Every field of a row, redacted. */
export function redactInputs(inputs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([field, value]) => [field, redactText(value)]));
}
