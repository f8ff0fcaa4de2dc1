import { confusionMatrixSvg, isConfusionMatrix, metricBars, termBar, valueBars } from '../../src/web/svg';
import { attr, inlineCodeProblems, tagsNamed } from './html';

const HOSTILE = `<script>alert(1)</script>" onload="x' &`;

/** Nothing a hostile class name could inject: no raw tag or attribute break-out, no style. */
function expectSafe(markup: string): void {
  expect(markup).not.toContain('<script');
  expect(markup).not.toContain('NaN');
  expect(markup).not.toContain('Infinity');
  expect(inlineCodeProblems(markup)).toEqual([]);
}

describe('confusionMatrixSvg', () => {
  const classNames = ['Not a disaster', 'Real disaster'];

  it('draws one cell per pair with its count, row share and a heat level from the row share', () => {
    const svg =
      confusionMatrixSvg({
        matrix: [
          [80, 20],
          [0, 50],
        ],
        classNames,
        idPrefix: 'cm',
      })?.html ?? '';
    expect(svg.startsWith('<svg class="chart confusion-matrix"')).toBe(true);
    const rects = tagsNamed(svg, 'rect').map((tag) => attr(tag, 'class'));
    // 80/100 → round(0.8 × 8) = 6, 20/100 → 2, 0/50 → 0, 50/50 → 8
    expect(rects).toEqual(['heat-6', 'heat-2', 'heat-0', 'heat-8']);
    expect(svg).toMatch(/>80<\/text>/);
    expect(svg).toMatch(/>80\.0%<\/text>/);
    expect(svg).toContain('<g class="cell is-correct">');
    expect(svg.match(/<g class="cell is-correct">/g)).toHaveLength(2);
    // Accessible name and description, tied by ids.
    const root = tagsNamed(svg, 'svg')[0];
    expect(attr(root, 'role')).toBe('img');
    expect(attr(root, 'aria-labelledby')).toBe('cm-title cm-desc');
    expect(svg).toContain(
      '<desc id="cm-desc">Rows are the actual classes, columns the predicted ones. Actual Not a disaster: 80 predicted Not a disaster, 20 predicted Real disaster.',
    );
    expectSafe(svg);
  });

  it('refuses a matrix that does not fit the classes', () => {
    expect(confusionMatrixSvg({ matrix: [[1, 2, 3]], classNames, idPrefix: 'x' })).toBeUndefined();
    expect(confusionMatrixSvg({ matrix: [[1], [2]], classNames, idPrefix: 'x' })).toBeUndefined();
    expect(
      confusionMatrixSvg({
        matrix: [
          [1, -1],
          [2, 3],
        ],
        classNames,
        idPrefix: 'x',
      }),
    ).toBeUndefined();
    expect(
      confusionMatrixSvg({
        matrix: [
          [1, Number.NaN],
          [2, 3],
        ],
        classNames,
        idPrefix: 'x',
      }),
    ).toBeUndefined();
    expect(isConfusionMatrix([], 0)).toBe(false);
  });

  it('survives a class with no test examples (empty row)', () => {
    const svg =
      confusionMatrixSvg({
        matrix: [
          [0, 0],
          [3, 4],
        ],
        classNames,
        idPrefix: 'cm',
      })?.html ?? '';
    expect(svg).toContain('>0.0%</text>');
    expectSafe(svg);
  });

  it('escapes class names and ids, and shortens long names with the full name in a tooltip', () => {
    const long = 'An extraordinarily long class name that cannot fit';
    const svg =
      confusionMatrixSvg({
        matrix: [
          [1, 2],
          [3, 4],
        ],
        classNames: [HOSTILE, long],
        idPrefix: 'a"b',
      })?.html ?? '';
    expectSafe(svg);
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x&#39; &amp;');
    expect(svg).toContain(`<title>${long}</title>`);
    expect(svg).toContain('>An extraordinaril…<');
    expect(svg).toContain('id="a&quot;b-title"');
  });

  it('scales down for many classes and keeps the geometry finite', () => {
    const n = 8;
    const matrix = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 50 : i + j)),
    );
    const svg =
      confusionMatrixSvg({ matrix, classNames: matrix.map((_, i) => `class ${i}`), idPrefix: 'm' })?.html ??
      '';
    expect(tagsNamed(svg, 'rect')).toHaveLength(n * n);
    expect(attr(tagsNamed(svg, 'rect')[0], 'width')).toBe('52');
    // Small cells carry the count only (the share is in the tooltip).
    expect(svg).not.toContain('cell-share');
    expectSafe(svg);
  });
});

describe('valueBars', () => {
  it('probabilities: bar widths in percent of the track, the chosen class badged, the threshold drawn', () => {
    const html = valueBars(
      [
        { name: 'No', value: 0.25, chosen: false },
        { name: 'Yes', value: 0.75, chosen: true, threshold: 0.5 },
      ],
      { output: 'probabilities', label: 'Probability of each class', chosenBadge: 'predicted' },
    ).html;
    const fills = tagsNamed(html, 'rect').filter((tag) => attr(tag, 'class') === 'bar-fill');
    expect(fills.map((tag) => attr(tag, 'width'))).toEqual(['25', '75']);
    expect(html).toContain('<span class="bar-value">25.0%</span>');
    expect(html).toContain(
      '<li class="bar-row is-chosen"><span class="bar-label">Yes <span class="badge">predicted</span>',
    );
    expect(tagsNamed(html, 'line').map((tag) => attr(tag, 'x1'))).toEqual(['50']);
    expect(attr(tagsNamed(html, 'ul')[0], 'aria-label')).toBe('Probability of each class');
    expectSafe(html);
  });

  it('probabilities: clamps out-of-range values and shows tiny and near-certain ones readably', () => {
    const html = valueBars(
      [
        { name: 'a', value: 0.00001, chosen: false },
        { name: 'b', value: 0.99999, chosen: true },
        { name: 'c', value: 1.5, chosen: false },
        { name: 'd', value: Number.NaN, chosen: false },
      ],
      { output: 'probabilities', label: 'p', chosenBadge: 'predicted' },
    ).html;
    const widths = tagsNamed(html, 'rect')
      .filter((tag) => attr(tag, 'class') === 'bar-fill')
      .map((tag) => attr(tag, 'width'));
    expect(widths).toEqual(['0', '100', '100', '0']);
    expect(html).toContain('>&lt;0.1%<');
    expect(html).toContain('>&gt;99.9%<');
    expect(html).toContain('>–<');
    expectSafe(html);
  });

  it('scores: bars from a zero line scaled to the largest magnitude, signed values, never percentages', () => {
    const html = valueBars(
      [
        { name: 'negative', value: -2, chosen: false },
        { name: 'neutral', value: 0.5, chosen: false },
        { name: 'positive', value: 1, chosen: true },
      ],
      { output: 'scores', label: 'Decision score of each class', chosenBadge: 'predicted' },
    ).html;
    const fills = tagsNamed(html, 'rect').filter((tag) => attr(tag, 'class')?.startsWith('bar-fill'));
    expect(fills.map((tag) => [attr(tag, 'class'), attr(tag, 'x'), attr(tag, 'width')])).toEqual([
      ['bar-fill is-negative', '0', '50'],
      ['bar-fill', '50', '12.5'],
      ['bar-fill', '50', '25'],
    ]);
    expect(html).toContain('>−2.000<');
    expect(html).toContain('>+1.000<');
    expect(html).not.toContain('%');
    expectSafe(html);
  });

  it('escapes names', () => {
    const html = valueBars([{ name: HOSTILE, value: 0.5, chosen: true }], {
      output: 'probabilities',
      label: HOSTILE,
      chosenBadge: '<b>',
    }).html;
    expectSafe(html);
    expect(html).toContain('&lt;b&gt;');
  });
});

describe('metricBars and termBar', () => {
  it('one bar per class with two decimals and the support', () => {
    const html = metricBars(
      [
        { name: 'Negative', value: 0.8765, support: 1472 },
        { name: HOSTILE, value: 0.1, support: 3 },
      ],
      'F1',
    ).html;
    expect(html).toContain('<span class="bar-value">0.88</span>');
    expect(html).toContain('n = 1,472');
    expect(attr(tagsNamed(html, 'ul')[0], 'aria-label')).toBe('F1 per class');
    expectSafe(html);
  });

  it('termBar clamps to the track', () => {
    const widths = (fraction: number) =>
      tagsNamed(termBar(fraction, 'toward').html, 'rect')
        .filter((tag) => attr(tag, 'class') === 'bar-fill')
        .map((tag) => attr(tag, 'width'));
    expect(widths(0.5)).toEqual(['50']);
    expect(widths(3)).toEqual(['100']);
    expect(widths(Number.NaN)).toEqual(['0']);
    expect(termBar(1, 'against').html).toContain('class="term-bar against"');
  });
});
