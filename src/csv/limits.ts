/** The CSV upload limits in words, said on the upload page and in every refusal. Pure. */
export interface UploadLimits {
  /** MAX_UPLOAD_BYTES */
  readonly maxUploadBytes: number;
  /** MAX_CSV_ROWS */
  readonly maxCsvRows: number;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) {
    return `${(bytes / (1024 * 1024)).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;
  }
  if (bytes >= 1024) return `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KB`;
  return `${bytes} bytes`;
}

/** e.g. "up to 10,000 data rows (MAX_CSV_ROWS) and 5 MB (MAX_UPLOAD_BYTES) per file". */
export function describeUploadLimits(limits: UploadLimits): string {
  return `up to ${limits.maxCsvRows.toLocaleString('en-US')} data rows (MAX_CSV_ROWS) and ${formatBytes(limits.maxUploadBytes)} (MAX_UPLOAD_BYTES) per file`;
}
