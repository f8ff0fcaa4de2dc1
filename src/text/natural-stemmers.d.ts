/** The two natural stemmers Sift uses, imported file by file (never `natural` as a whole). */
declare module 'natural/lib/natural/stemmers/porter_stemmer' {
  const PorterStemmer: { stem(token: string): string };
  export = PorterStemmer;
}
declare module 'natural/lib/natural/stemmers/lancaster_stemmer' {
  const LancasterStemmer: { stem(token: string): string };
  export = LancasterStemmer;
}
