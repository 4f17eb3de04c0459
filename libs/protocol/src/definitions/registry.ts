import { esketamineMonitoredV1 } from './esketamine-monitored.v1';
import { mdmaAtPtsdV1 } from './mdma-at-ptsd.v1';
import { mdmaAtPtsdV2 } from './mdma-at-ptsd.v2';
import { mdmaAtPtsdV3 } from './mdma-at-ptsd.v3';
import type { ProtocolDefinition } from './protocol-definition';
import { validateProtocolDefinition } from './validate-protocol';

/** Refuses to load a faulty definition: better no service than a course run on a broken protocol. */
const loaded = (def: ProtocolDefinition): ProtocolDefinition => {
  const faults = validateProtocolDefinition(def);
  if (faults.length > 0) throw new Error(`Protocol ${def.id} v${def.version} is invalid: ${faults.join('; ')}`);
  return def;
};

const definitions: readonly ProtocolDefinition[] = [mdmaAtPtsdV1, mdmaAtPtsdV2, mdmaAtPtsdV3, esketamineMonitoredV1].map(loaded);

/** The newest version of a protocol, or a pinned one. `undefined` when unknown. */
export const findProtocol = (id: string, version?: number): ProtocolDefinition | undefined => {
  const matching = definitions.filter((d) => d.id === id && (version === undefined || d.version === version));
  return matching.sort((a, b) => b.version - a.version)[0];
};

/** Every shipped protocol definition, all versions. */
export const listProtocols = (): readonly ProtocolDefinition[] => definitions;
