/** One bundle folder → its served model: a sequence model (sequence.json) or a feature model. */
import { bundleHash } from './bundle';
import { loadModel, type ModelOptions, type SiftModel } from './classifier';
import { isSequenceBundle, SequenceModel } from './sequence-model';

export type ServedModel = SiftModel | SequenceModel;

export async function loadServedModel(dir: string, options: ModelOptions = {}): Promise<ServedModel> {
  if (!(await isSequenceBundle(dir))) return loadModel(dir, options);
  const [model, version] = await Promise.all([
    SequenceModel.load(dir, options),
    bundleHash(dir).catch(() => ''),
  ]);
  model.version = version;
  model.versionLabel = model.card.version;
  return model;
}
