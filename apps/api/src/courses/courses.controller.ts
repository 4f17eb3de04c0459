import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { commandBodyExamples, commandBodySchema } from './command-body.openapi';
import { StartCourseDto } from './dto/start-course.dto';
import { CoursesService, type CommandAnswer } from './courses.service';

// The key is read from the request, not with @Headers(): that decorator would list the header a second
// time in the OpenAPI document, next to the described @ApiHeader.
type RequestWithCorrelation = { correlationId: string; headers: Record<string, string | string[] | undefined> };
const idempotencyKeyOf = (req: RequestWithCorrelation): string | undefined => {
  const key = req.headers['idempotency-key'];
  return Array.isArray(key) ? key.join(',') : key;
};

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'The command id. Repeating a request with the same key returns the same outcome and never records twice; a different body with the same key answers 409. ' +
    'Without it the API generates one and returns it in the Command-Id header.',
};

/** Sends the answer's status; a pending command also names where its outcome can be read. */
const answer = (res: Response, commandKey: string, result: CommandAnswer): CommandAnswer['body'] => {
  res.status(result.status);
  if (result.status === 202) res.setHeader('Location', result.body.statusUrl);
  res.setHeader('Command-Id', commandKey);
  return result.body;
};

@ApiTags('courses')
@ApiBearerAuth()
@Controller('courses')
export class CoursesController {
  constructor(private readonly courses: CoursesService) {}

  @Post()
  @ApiOperation({ summary: 'Start a course of care (starts its workflow and records CourseStarted).' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiResponse({ status: 201, description: 'The course id, its state and the recorded events.' })
  @ApiResponse({ status: 202, description: 'Sent, outcome not known in time: read it at `statusUrl` (also the Location header).' })
  async start(
    @CurrentPrincipal() principal: Principal,
    @Body() body: StartCourseDto,
    @Req() req: RequestWithCorrelation,
    @Res({ passthrough: true }) res: Response,
  ) {
    const commandKey = this.courses.commandKey(idempotencyKeyOf(req));
    res.setHeader('Command-Id', commandKey);
    return answer(res, commandKey, await this.courses.start(principal, body, req.correlationId, commandKey));
  }

  @Post(':courseId/commands')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a protocol command to a course; answers with the new state and the recorded events.' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBody({
    description:
      'One protocol command: `type` names it, `data` holds its fields (see the schema of each command, e.g. AdministerDoseCommand). ' +
      'An unknown field, a missing field or a value of the wrong type or range is refused with 400 naming the field.',
    schema: commandBodySchema(),
    examples: commandBodyExamples(),
  })
  @ApiResponse({ status: 200, description: 'Recorded: the new state and the events (a retry of a recorded command gets the same events).' })
  @ApiResponse({ status: 202, description: 'Sent, outcome not known in time: read it at `statusUrl` (also the Location header).' })
  @ApiResponse({ status: 422, description: 'The protocol refuses the command; `code` says why.' })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Param('courseId') courseId: string,
    @Body() body: unknown,
    @Req() req: RequestWithCorrelation,
    @Res({ passthrough: true }) res: Response,
  ) {
    const commandKey = this.courses.commandKey(idempotencyKeyOf(req));
    // Set before anything can fail: a client that gets a 503 still learns the id to retry with.
    res.setHeader('Command-Id', commandKey);
    return answer(res, commandKey, await this.courses.submit(principal, courseId, body, req.correlationId, commandKey));
  }

  @Get(':courseId/commands/:commandId')
  @ApiOperation({
    summary: 'The outcome of a command you sent (by its Command-Id or Idempotency-Key): recorded (with its events), refused (with the answer given), pending or not_recorded.',
  })
  commandStatus(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string, @Param('commandId') commandId: string) {
    return this.courses.commandStatus(principal, courseId, commandId);
  }

  @Get(':courseId')
  @ApiOperation({ summary: 'The current state of a course, folded from its recorded events.' })
  state(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string) {
    return this.courses.state(principal, courseId);
  }

  @Get(':courseId/signatures')
  @ApiOperation({
    summary: 'Every e-signature of the course, checked against its record (21 CFR 11.70).',
    description:
      "For each signed step: the manifestation (signer, printed name, time, meaning), the fields of the record signed, the hash the manifestation carries and the hash of the record rebuilt from the stored events (SHA-256 of its RFC 8785 JSON), and `result`: `matches`, `differs`, or `no_record_hash` for signatures made before record hashes were kept. A signature voided by a correction names the correction's stream version. Recorded in the access log like any read of the course.",
  })
  @ApiResponse({ status: 200, description: 'The signatures in stream order, with a summary.' })
  @ApiResponse({ status: 404, description: 'No such course at your sites.' })
  signatures(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string) {
    return this.courses.signatures(principal, courseId);
  }

  @Get(':courseId/events')
  @ApiOperation({ summary: "The course's recorded history, read from the event store." })
  async events(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string) {
    return { courseId, events: await this.courses.events(principal, courseId) };
  }
}
