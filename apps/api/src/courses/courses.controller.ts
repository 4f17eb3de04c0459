import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { CourseCommandDto } from './dto/course-command.dto';
import { StartCourseDto } from './dto/start-course.dto';
import { CoursesService } from './courses.service';

type RequestWithCorrelation = { correlationId: string };

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Repeating a request with the same key returns the same outcome; a different body with the same key answers 409.',
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
  start(
    @CurrentPrincipal() principal: Principal,
    @Body() body: StartCourseDto,
    @Req() req: RequestWithCorrelation,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.courses.start(principal, body, req.correlationId, key);
  }

  @Post(':courseId/commands')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a protocol command to a course; answers with the new state and the recorded events.' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiBody({ type: CourseCommandDto })
  @ApiResponse({ status: 422, description: 'The protocol refuses the command; `code` says why.' })
  submit(
    @CurrentPrincipal() principal: Principal,
    @Param('courseId') courseId: string,
    @Body() body: unknown,
    @Req() req: RequestWithCorrelation,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.courses.submit(principal, courseId, body, req.correlationId, key);
  }

  @Get(':courseId')
  @ApiOperation({ summary: 'The current state of a course.' })
  state(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string) {
    return this.courses.state(principal, courseId);
  }

  @Get(':courseId/events')
  @ApiOperation({ summary: "The course's recorded history, read from the event store." })
  async events(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string) {
    return { courseId, events: await this.courses.events(principal, courseId) };
  }
}
