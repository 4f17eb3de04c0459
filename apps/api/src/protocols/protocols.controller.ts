import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CLINICAL_TIME_FIELDS, lateEntryAfterMinutes, listProtocols } from '@care/protocol';
import { ApiError } from '../errors/api-error';

const notFound = () => new ApiError({ statusCode: 404, code: 'PROTOCOL_NOT_FOUND', message: 'No such protocol version.' });

/** The shipped protocol definitions, readable as data by every signed-in role. */
@ApiTags('protocols')
@ApiBearerAuth()
@Controller('protocols')
export class ProtocolsController {
  @Get()
  @ApiOperation({ summary: 'Every protocol: id, title, versions (newest last; new courses start on the newest).' })
  list() {
    const byId = new Map<string, { id: string; title: string; versions: number[] }>();
    for (const def of listProtocols()) {
      const entry = byId.get(def.id) ?? { id: def.id, title: def.title, versions: [] };
      entry.versions.push(def.version);
      entry.title = def.title;
      byId.set(def.id, entry);
    }
    return { protocols: [...byId.values()].map((p) => ({ ...p, versions: p.versions.sort((a, b) => a - b), latestVersion: Math.max(...p.versions) })) };
  }

  @Get(':protocolId/versions/:version')
  @ApiOperation({
    summary:
      'One protocol version as data: phases, sessions with order and intervals, instruments with fields, eligibility criteria, signature meanings and permissions by command, dosing parameters, notification settings, the late-entry threshold and the clinical-time field of each command.',
  })
  get(@Param('protocolId') protocolId: string, @Param('version') version: string) {
    if (!/^[1-9][0-9]{0,5}$/.test(version)) throw notFound();
    const def = listProtocols().find((d) => d.id === protocolId && d.version === Number(version));
    if (!def) throw notFound();
    // The threshold in force (a definition may leave it to the default) and which field of each command
    // carries its clinical time, so a client can ask for a late-entry reason before it sends the step.
    const clinicalTimeFields = Object.fromEntries(
      Object.keys(def.permissions).map((command) => [command, CLINICAL_TIME_FIELDS[command as keyof typeof CLINICAL_TIME_FIELDS]?.field ?? null]),
    );
    return { ...def, lateEntryAfterMinutes: lateEntryAfterMinutes(def), clinicalTimeFields };
  }
}
