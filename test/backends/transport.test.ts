// How remote backends reach their server: through the proxy the environment names (as downloads
// do), around it for NO_PROXY hosts, and not a moment longer than the backend lives: dispose()
// ends a streaming request at once.
import { createOllamaBackend } from '../../lib/backends/ollama';
import { createOpenAIBackend } from '../../lib/backends/openai';
import type { GenerateRequest, InferenceBackend } from '../../lib/backends/types';
import { PROXY_VARIABLES, startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy';
import type { FixtureServer } from '../helpers/fixture-server';
import { DEFAULT_OLLAMA_REPLY, startOllamaFixture } from '../helpers/ollama-fixture';
import { DEFAULT_OPENAI_REPLY, startOpenAIFixture } from '../helpers/openai-fixture';

const request: GenerateRequest = { messages: [{ role: 'user', content: 'list files' }] };

interface Kind {
  name: string;
  reply: string;
  start(chunkDelayMs?: number): Promise<FixtureServer>;
  backend(server: FixtureServer): InferenceBackend;
}

const kinds: Kind[] = [
  {
    name: 'ollama',
    reply: DEFAULT_OLLAMA_REPLY,
    start: (chunkDelayMs) => startOllamaFixture({ chunkDelayMs }),
    backend: (server) => createOllamaBackend({ endpoint: server.url, retries: 0 }),
  },
  {
    name: 'openai',
    reply: DEFAULT_OPENAI_REPLY,
    start: (chunkDelayMs) => startOpenAIFixture({ chunkDelayMs }),
    backend: (server) => createOpenAIBackend({ endpoint: `${server.url}/v1`, retries: 0 }),
  },
];

describe.each(kinds)('the $name backend', (kind) => {
  describe('with proxies in the environment', () => {
    let proxy: ConnectProxy;
    let server: FixtureServer;
    const saved = { ...process.env };

    beforeEach(async () => {
      proxy = await startConnectProxy();
      server = await kind.start();
      for (const key of PROXY_VARIABLES) delete process.env[key];
    });

    afterEach(async () => {
      process.env = { ...saved };
      await server.close();
      await proxy.close();
    });

    test('HTTP_PROXY routes every request through the proxy', async () => {
      process.env.HTTP_PROXY = proxy.url;
      const result = await kind.backend(server).generate(request);

      expect(result.text).toBe(kind.reply);
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(new Set(proxy.tunnels)).toEqual(new Set([`127.0.0.1:${server.port}`]));
    });

    test('NO_PROXY sends requests to the hosts it lists directly', async () => {
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = '127.0.0.1';
      const result = await kind.backend(server).generate(request);

      expect(result.text).toBe(kind.reply);
      expect(proxy.tunnels).toEqual([]);
    });
  });

  test('dispose() during a streaming answer ends the request at once', async () => {
    // A piece a second: the whole answer would take longer than the test is allowed to run.
    const server = await kind.start(1_000);
    try {
      const backend = kind.backend(server);
      let firstPiece!: () => void;
      const streaming = new Promise<void>((resolve) => (firstPiece = resolve));
      const pieces: string[] = [];
      const answer = backend.generate({ ...request, onToken: (piece) => { pieces.push(piece); firstPiece(); } });
      await streaming;
      await backend.dispose();
      const result = await answer;

      expect(result.stopReason).toBe('abort');
      expect(result.text.length).toBeLessThan(kind.reply.length);
      expect(kind.reply.startsWith(pieces.join(''))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
