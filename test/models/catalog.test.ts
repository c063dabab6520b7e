// The shipped catalog and the config file's custom models.
import { CmdaiError } from '../../lib/errors';
import {
  ModelCatalog,
  builtInCatalog,
  customModelEntry,
  fileDownloadUrl,
  modelTotalBytes,
  parseCatalog,
  parseModelsConfig,
} from '../../lib/models/catalog';

function thrown(fn: () => unknown): CmdaiError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CmdaiError);
    return error as CmdaiError;
  }
  throw new Error('expected an error');
}

describe('built-in catalog', () => {
  const catalog = builtInCatalog();

  test('the default llama.cpp model is Qwen2.5-Coder-1.5B-Instruct Q4_K_M pinned to a revision with its sha256', () => {
    const entry = catalog.get(catalog.defaultName('gguf'));
    expect(entry.repo).toBe('Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF');
    expect(entry.files).toEqual([
      {
        path: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
        sizeBytes: 1117320768,
        sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
        approxBytes: undefined,
      },
    ]);
    expect(entry.revision).toMatch(/^[0-9a-f]{40}$/);
  });

  test('the default MLX model is the mlx-community 4-bit folder with config, weights and tokenizer', () => {
    const entry = catalog.get(catalog.defaultName('mlx'));
    expect(entry.format).toBe('mlx');
    expect(entry.repo).toBe('mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit');
    const paths = entry.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']));
  });

  test('smaller and larger siblings (0.5B, 3B, 7B) are listed', () => {
    const names = catalog.list().map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['qwen2.5-coder-0.5b', 'qwen2.5-coder-3b', 'qwen2.5-coder-7b']));
  });

  test('every entry has a pinned revision, a license, a context length and a size for each file', () => {
    for (const entry of catalog.list()) {
      expect(entry.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(entry.license?.id).toBeTruthy();
      expect(entry.contextLength).toBeGreaterThan(0);
      for (const file of entry.files) {
        expect(file.sizeBytes ?? file.approxBytes).toBeGreaterThan(0);
        if (file.sha256 !== null) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
    }
  });

  test('the 3B model carries its non-commercial research license', () => {
    expect(catalog.get('qwen2.5-coder-3b').license?.id).toBe('qwen-research');
  });

  test('names are looked up case-insensitively and an unknown name lists the known ones', () => {
    expect(catalog.get('QWEN2.5-CODER-7B').name).toBe('qwen2.5-coder-7b');
    const error = thrown(() => catalog.get('gpt-5'));
    expect(error.code).toBe('USAGE');
    expect(error.hint).toContain('qwen2.5-coder-1.5b');
    expect(error.hint).toContain('--model /path/to/model.gguf');
  });

  test('download URLs are HF_ENDPOINT/{repo}/resolve/{revision}/{file}', () => {
    const entry = catalog.get('qwen2.5-coder-1.5b');
    expect(fileDownloadUrl(entry, entry.files[0])).toBe(
      `https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/${entry.revision}/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf`,
    );
    expect(fileDownloadUrl(entry, entry.files[0], 'https://mirror.example/')).toBe(
      `https://mirror.example/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/${entry.revision}/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf`,
    );
  });

  test('the total size says whether it is exact', () => {
    expect(modelTotalBytes(catalog.get('qwen2.5-coder-1.5b'))).toEqual({ bytes: 1117320768, exact: true });
    expect(modelTotalBytes(catalog.get('qwen2.5-coder-1.5b-mlx')).exact).toBe(false);
  });

  test('a malformed catalog names the field that is wrong', () => {
    const error = thrown(() => parseCatalog({ models: [{ name: 'x', format: 'gguf', repo: 'a/b', revision: 'main', files: [] }] }, 'catalog.json'));
    expect(error.message).toBe('catalog.json: models[0].revision must be a full 40-character commit id');
  });
});

describe('custom models from the config file', () => {
  const sha = 'ab'.repeat(32);

  test('a URL with a sha256 becomes a single-file GGUF model', () => {
    const entry = customModelEntry({ name: 'mine', url: 'https://example.com/models/mine.Q4.gguf', sha256: sha.toUpperCase() });
    expect(entry).toMatchObject({ name: 'mine', format: 'gguf', origin: 'config' });
    expect(entry.files).toEqual([{ path: 'mine.Q4.gguf', sizeBytes: null, sha256: sha, url: 'https://example.com/models/mine.Q4.gguf' }]);
  });

  test('a URL without a sha256 is refused, naming the entry', () => {
    const error = thrown(() => customModelEntry({ name: 'mine', url: 'https://example.com/mine.gguf' }, 2));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toBe('models.custom[2]: sha256 is required for a model given by url');
  });

  test('a hub repository and file default to the main revision', () => {
    const entry = customModelEntry({ name: 'hubbed', repo: 'someone/Some-GGUF', file: 'some.Q4_K_M.gguf' });
    expect(entry.revision).toBe('main');
    expect(fileDownloadUrl(entry, entry.files[0], 'http://127.0.0.1:9')).toBe('http://127.0.0.1:9/someone/Some-GGUF/resolve/main/some.Q4_K_M.gguf');
  });

  test('url and repo together, a bad sha256, or a non-GGUF file are each refused', () => {
    expect(thrown(() => customModelEntry({ name: 'a', url: 'https://x/a.gguf', repo: 'o/r', file: 'a.gguf', sha256: sha })).message).toContain('either url, or repo and file');
    expect(thrown(() => customModelEntry({ name: 'a', url: 'https://x/a.gguf', sha256: 'abc' })).message).toContain('sha256 must be 64 hex digits');
    expect(thrown(() => customModelEntry({ name: 'a', repo: 'o/r', file: 'model.safetensors' })).message).toContain('must be a .gguf file');
  });

  test('custom models join the catalog, and may not reuse a catalog name', () => {
    const catalog = ModelCatalog.load({ custom: [{ name: 'mine', url: 'https://example.com/mine.gguf', sha256: sha }] });
    expect(catalog.get('mine').origin).toBe('config');
    expect(catalog.get('qwen2.5-coder-1.5b').origin).toBe('catalog');
    const error = thrown(() => ModelCatalog.load({ custom: [{ name: 'qwen2.5-coder-1.5b', url: 'https://example.com/x.gguf', sha256: sha }] }));
    expect(error.message).toContain('already used by the built-in catalog');
  });

  test('the [models] table is validated', () => {
    expect(parseModelsConfig({ dir: '/data/models' })).toEqual({ dir: '/data/models' });
    expect(thrown(() => parseModelsConfig({ custom: { name: 'x' } })).message).toContain('[[models.custom]]');
  });
});
