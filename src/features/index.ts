/** Feature extraction: the bundle's vectorizer blocks → sparse rows → dense ONNX input. */
export {
  createVectorizer,
  rowsPerChunk,
  toDense,
  type CompiledBlock,
  type SparseRow,
  type VectorizedRow,
  type Vectorizer,
} from './vectorizer';
export { createSequenceEncoder, type SequenceEncoder, type SequenceRow } from './sequence';
