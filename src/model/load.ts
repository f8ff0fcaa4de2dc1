/** One bundle folder → its served model: a sequence model (sequence.json) or a feature model. */
import { loadModel, type ModelOptions, type SiftModel } from './classifier';
import { isSequenceBundle, SequenceModel } from './sequence-model';

export type ServedModel = SiftModel | SequenceModel;

export async function loadServedModel(dir: string, options: ModelOptions = {}): Promise<ServedModel> {
  return (await isSequenceBundle(dir)) ? SequenceModel.load(dir, options) : loadModel(dir, options);
}
