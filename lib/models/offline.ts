// Whether the user has forbidden downloads.

/**
 * The variable that forbids downloads, if one is set: CMDAI_OFFLINE, or the Hugging Face hub's
 * own HF_HUB_OFFLINE (which users of other hub tools already set).
 */
export function offlineVariable(env: NodeJS.ProcessEnv = process.env): 'CMDAI_OFFLINE' | 'HF_HUB_OFFLINE' | undefined {
  return (['CMDAI_OFFLINE', 'HF_HUB_OFFLINE'] as const).find((name) => {
    const value = env[name]?.trim().toLowerCase();
    return value !== undefined && value !== '' && value !== '0' && value !== 'false' && value !== 'no' && value !== 'off';
  });
}

export function isOfflineMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return offlineVariable(env) !== undefined;
}
