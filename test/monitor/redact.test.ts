import { redactInputs, redactText } from '../../src/monitor/redact';

describe('redactText', () => {
  it.each([
    ['mail me at jane.doe+x@example.co.uk today', 'mail me at [email] today'],
    ['see https://t.co/abc?x=1 and www.example.com/path.', 'see [url] and [url]'],
    ['http://user:pw@host.example/x', '[url]'],
    ['thanks @fire_dept and @NWS!', 'thanks [mention] and [mention]!'],
    ['@start of text', '[mention] of text'],
    ['call 555-123-4567 or +44 20 7946 0958', 'call [number] or +[number]'],
    ['card 4111 1111 1111 1111', 'card [number]'],
    ['year 2026, 12345 people, route 66', 'year 2026, 12345 people, route 66'],
    ['no personal data here', 'no personal data here'],
  ])('%s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it('redacts every field of a row', () => {
    expect(redactInputs({ text: 'a@b.io', keyword: 'fire' })).toEqual({ text: '[email]', keyword: 'fire' });
  });
});
