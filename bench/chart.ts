/**
 * Pure: a grouped bar chart (SVG, no dependencies) of single-text requests/s per connection count,
 * one bar per server, for bench/results/latest.svg (copy it next to the README to show it).
 */
import type { Measurement } from './results';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A round axis maximum: 1, 2 or 5 × a power of ten, at least `value`. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** `order`: servers in legend order (the others follow in table order). */
export function renderSingleTextChart(
  single: readonly Measurement[],
  title: string,
  order: readonly string[] = [],
): string {
  const present = [...new Set(single.map((m) => m.server))];
  const servers = [...order.filter((s) => present.includes(s)), ...present.filter((s) => !order.includes(s))];
  const connections = [...new Set(single.map((m) => m.connections))].sort((a, b) => a - b);
  const width = 760;
  const left = 70;
  const right = 20;
  const top = 40;
  const plotHeight = 240;
  const legendRows = Math.ceil(servers.length / 2);
  const height = top + plotHeight + 40 + 18 * legendRows;
  const plotWidth = width - left - right;
  const max = niceCeiling(Math.max(1, ...single.map((m) => m.load.requestsPerSecond)));
  const groupWidth = plotWidth / Math.max(1, connections.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, servers.length);
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<text x="${left}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  for (let i = 0; i <= 5; i += 1) {
    const value = (max / 5) * i;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>` +
        `<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${Math.round(value).toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<text x="16" y="${top + plotHeight / 2}" transform="rotate(-90 16 ${top + plotHeight / 2})" ` +
      `text-anchor="middle">requests/s</text>`,
  );
  connections.forEach((c, g) => {
    const groupLeft = left + g * groupWidth + groupWidth * 0.1;
    servers.forEach((server, s) => {
      const m = single.find((x) => x.server === server && x.connections === c);
      if (m === undefined) return;
      const x = groupLeft + s * barWidth;
      const value = m.load.requestsPerSecond;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
          `height="${(top + plotHeight - y(value)).toFixed(1)}" fill="${COLOURS[s % COLOURS.length]}">` +
          `<title>${escapeXml(`${server}, ${c} connections: ${Math.round(value)} req/s, p99 ${m.load.latencyMs.p99.toFixed(1)} ms`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(left + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${top + plotHeight + 16}" ` +
        `text-anchor="middle">${c} connection${c === 1 ? '' : 's'}</text>`,
    );
  });
  servers.forEach((server, s) => {
    const x = left + (s % 2) * (plotWidth / 2);
    const legendY = top + plotHeight + 40 + 18 * Math.floor(s / 2);
    parts.push(
      `<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLOURS[s % COLOURS.length]}"/>` +
        `<text x="${x + 18}" y="${legendY}">${escapeXml(server)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
