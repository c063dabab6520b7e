// Models: the catalog, the cache, downloads and the first-use flow.
export {
  ModelCatalog,
  builtInCatalog,
  customModelEntry,
  fileDownloadUrl,
  modelTotalBytes,
  parseModelsConfig,
  DEFAULT_HF_ENDPOINT,
  type CustomModelConfig,
  type ModelEntry,
  type ModelFileSpec,
  type ModelFormat,
  type ModelLicense,
  type ModelsConfig,
} from './catalog';
export { resolveModelsDir } from './cache-dir';
export { downloadModel, removeModel, type DownloadOptions, type DownloadProgress, type DownloadResult } from './download';
export { askOnTerminal, ensureModel, isOfflineMode, locateModel, looksLikePath, offlineGuidance, type EnsureModelOptions, type ResolvedModel } from './ensure';
export { installedManifest, modelFolder, modelLoadPath, removeModelFolder, type InstalledManifest } from './installed';
export { formatBytes, renderProgressLine, terminalProgress } from './progress';
export { verifyInstalledModel, type ModelCheck } from './verify';
