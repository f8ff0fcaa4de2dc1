import { parseCustomAttributes } from '../../src/protocols/custom-attributes';

describe('parseCustomAttributes', () => {
  it('reads key=value pairs separated by commas or semicolons', () => {
    const attributes = parseCustomAttributes('trace=abc; Model = sentiment-mini ,accept_eula=true,opaque');
    expect(attributes.get('model')).toBe('sentiment-mini');
    expect(attributes.get('trace')).toBe('abc');
    expect(attributes.get('accept_eula')).toBe('true');
    expect(attributes.has('opaque')).toBe(false);
  });

  it('keeps the first of repeated keys and is empty without a header', () => {
    expect(parseCustomAttributes('model=a,model=b').get('model')).toBe('a');
    expect(parseCustomAttributes(undefined).size).toBe(0);
  });
});
