import { mdmaAtPtsdV1 } from './mdma-at-ptsd.v1';
import type { ProtocolDefinition } from './protocol-definition';

const definitions: readonly ProtocolDefinition[] = [mdmaAtPtsdV1];

/** The newest version of a protocol, or a pinned one. `undefined` when unknown. */
export const findProtocol = (id: string, version?: number): ProtocolDefinition | undefined => {
  const matching = definitions.filter((d) => d.id === id && (version === undefined || d.version === version));
  return matching.sort((a, b) => b.version - a.version)[0];
};

export const listProtocols = (): readonly ProtocolDefinition[] => definitions;
