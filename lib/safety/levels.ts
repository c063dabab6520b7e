import type { RiskLevel } from './types';

export const LEVELS: readonly RiskLevel[] = ['safe', 'moderate', 'high', 'critical'];

export function levelRank(level: RiskLevel): number {
  return LEVELS.indexOf(level);
}

export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return levelRank(a) >= levelRank(b) ? a : b;
}
