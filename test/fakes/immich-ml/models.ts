/**
 * Which model names and task/type pairs the ML service accepts (immich_ml/models/constants.py
 * model sets, models/__init__.py get_model_class, config.py clean_name at v3.1.0). An unknown
 * combination raises ValueError there, which FastAPI turns into a plain 500.
 */
const OPENCLIP = new Set([
  'RN101__openai', 'RN101__yfcc15m', 'RN50__cc12m', 'RN50__openai', 'RN50__yfcc15m', 'RN50x16__openai',
  'RN50x4__openai', 'RN50x64__openai', 'ViT-B-16-SigLIP-256__webli', 'ViT-B-16-SigLIP-384__webli',
  'ViT-B-16-SigLIP-512__webli', 'ViT-B-16-SigLIP-i18n-256__webli', 'ViT-B-16-SigLIP__webli',
  'ViT-B-16-plus-240__laion400m_e31', 'ViT-B-16-plus-240__laion400m_e32', 'ViT-B-16__laion400m_e31',
  'ViT-B-16__laion400m_e32', 'ViT-B-16__openai', 'ViT-B-32__laion2b-s34b-b79k', 'ViT-B-32__laion2b_e16',
  'ViT-B-32__laion400m_e31', 'ViT-B-32__laion400m_e32', 'ViT-B-32__openai', 'ViT-H-14-378-quickgelu__dfn5b',
  'ViT-H-14-quickgelu__dfn5b', 'ViT-H-14__laion2b-s32b-b79k', 'ViT-L-14-336__openai', 'ViT-L-14-quickgelu__dfn2b',
  'ViT-L-14__laion2b-s32b-b82k', 'ViT-L-14__laion400m_e31', 'ViT-L-14__laion400m_e32', 'ViT-L-14__openai',
  'ViT-L-16-SigLIP-256__webli', 'ViT-L-16-SigLIP-384__webli', 'ViT-SO400M-14-SigLIP-384__webli',
  'ViT-g-14__laion2b-s12b-b42k', 'XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k',
  'XLM-Roberta-Large-ViT-H-14__frozen_laion5b_s13b_b90k', 'nllb-clip-base-siglip__mrl', 'nllb-clip-base-siglip__v1',
  'nllb-clip-large-siglip__mrl', 'nllb-clip-large-siglip__v1', 'ViT-B-16-SigLIP2__webli', 'ViT-B-32-SigLIP2-256__webli',
  'ViT-L-16-SigLIP2-256__webli', 'ViT-L-16-SigLIP2-384__webli', 'ViT-L-16-SigLIP2-512__webli',
  'ViT-SO400M-14-SigLIP2-378__webli', 'ViT-SO400M-14-SigLIP2__webli', 'ViT-SO400M-16-SigLIP2-256__webli',
  'ViT-SO400M-16-SigLIP2-384__webli', 'ViT-SO400M-16-SigLIP2-512__webli', 'ViT-gopt-16-SigLIP2-256__webli',
  'ViT-gopt-16-SigLIP2-384__webli',
]);
const MCLIP = new Set(['LABSE-Vit-L-14', 'XLM-Roberta-Large-Vit-B-16Plus', 'XLM-Roberta-Large-Vit-B-32', 'XLM-Roberta-Large-Vit-L-14']);
const INSIGHTFACE = new Set(['antelopev2', 'buffalo_s', 'buffalo_m', 'buffalo_l']);
const PADDLE = new Set([
  'PP-OCRv5_server', 'PP-OCRv5_mobile', 'CH__PP-OCRv5_server', 'CH__PP-OCRv5_mobile', 'EL__PP-OCRv5_mobile',
  'EN__PP-OCRv5_mobile', 'ESLAV__PP-OCRv5_mobile', 'KOREAN__PP-OCRv5_mobile', 'LATIN__PP-OCRv5_mobile',
  'TH__PP-OCRv5_mobile',
]);

/** clean_name: last path segment, ":" "\" "/" → "_", "." removed. */
export function cleanName(modelName: string): string {
  return (modelName.split('/').pop() ?? '').replace(/[:\\/]/g, '_').replace(/\./g, '');
}

export type ModelKind = 'clip-visual' | 'clip-textual' | 'face-detection' | 'face-recognition' | 'ocr-detection' | 'ocr-recognition';

/** get_model_class; undefined means "Unknown model combination" (ValueError → 500). */
export function modelKind(modelName: string, type: string, task: string): ModelKind | undefined {
  const name = cleanName(modelName);
  const clip = OPENCLIP.has(name) || MCLIP.has(name);
  if (clip && task === 'clip' && type === 'visual') return 'clip-visual';
  if (clip && task === 'clip' && type === 'textual') return 'clip-textual';
  if (INSIGHTFACE.has(name) && task === 'facial-recognition' && type === 'detection') return 'face-detection';
  if (INSIGHTFACE.has(name) && task === 'facial-recognition' && type === 'recognition') return 'face-recognition';
  if (PADDLE.has(name) && task === 'ocr' && type === 'detection') return 'ocr-detection';
  if (PADDLE.has(name) && task === 'ocr' && type === 'recognition') return 'ocr-recognition';
  return undefined;
}

/** Recognition models depend on the detection output of the same task (model.depends). */
export function dependsOn(kind: ModelKind): ModelKind | undefined {
  if (kind === 'face-recognition') return 'face-detection';
  if (kind === 'ocr-recognition') return 'ocr-detection';
  return undefined;
}

/** Python's str() of the dependency tuple, as printed in the 400 "depends on output of" detail. */
export function dependencyRepr(kind: ModelKind): string {
  return kind === 'face-detection'
    ? "(<ModelType.DETECTION: 'detection'>, <ModelTask.FACIAL_RECOGNITION: 'facial-recognition'>)"
    : "(<ModelType.DETECTION: 'detection'>, <ModelTask.OCR: 'ocr'>)";
}
