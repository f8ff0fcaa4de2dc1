/**
 * SageMaker passes `CustomAttributes` of InvokeEndpoint through as the
 * `X-Amzn-SageMaker-Custom-Attributes` header, an opaque string. Sift reads `key=value` pairs
 * separated by `,` or `;` from it (`model=sentiment-mini`); anything else is left alone, since
 * other tools put their own attributes there. Pure.
 */
export const CUSTOM_ATTRIBUTES_HEADER = 'x-amzn-sagemaker-custom-attributes';

export function parseCustomAttributes(header: string | undefined): ReadonlyMap<string, string> {
  const attributes = new Map<string, string>();
  if (header === undefined) return attributes;
  for (const part of header.split(/[,;]/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key !== '' && !attributes.has(key)) attributes.set(key, value);
  }
  return attributes;
}
