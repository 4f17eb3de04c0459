'use strict';
/**
 * The load of `npm run test:faults`: clients that walk MDMA-AT courses through the HTTP API the way the
 * README's retry rule says a client should.
 *
 * - Keyed commands carry an Idempotency-Key and are sent again with that same key on exactly three
 *   named failures: a 5xx answer, a 202 (outcome not known yet) and a network error.
 * - Unkeyed commands are never re-sent blindly: on a 5xx or 202 the client reads the outcome at
 *   GET /courses/:courseId/commands/:Command-Id until it is recorded, refused or not_recorded (only then
 *   it sends the same request with Idempotency-Key: <Command-Id>, which the README says executes it).
 *   A network error leaves no Command-Id: the client then looks for its own X-Request-Id (the
 *   correlation id every event records) in the course's events once the service is ready again.
 *
 * Every logical command is kept in `ops` with how it ended, for the checks afterwards.
 */
const { randomUUID } = require('node:crypto');
const { sleep } = require('../ports');

const REQUEST_TIMEOUT_MS = 20000;
const OP_DEADLINE_MS = 90000;
const CRITERIA = ['age-18-or-over', 'fluent-in-site-language', 'able-to-swallow-pills', 'consents-to-recording', 'reports-new-conditions', 'contraception', 'lifestyle'];

/** The commands a course gets after its start, in protocol order; the last one is kept for the "accepts its next command" check. */
const courseScript = () => [
  { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date(Date.now() - 1000).toISOString() } },
  { type: 'RecordEmergencyContact', data: { contactRef: 'EC-1' } },
  ...CRITERIA.map((criterionId) => ({
    type: 'RecordEligibilityCriterion',
    data: { criterionId, outcome: 'pass', evidence: 'Screening interview and records', signature: { meaning: 'authorship' } },
  })),
];
const LOAD_STEPS = 6; // consent, contact, 4 criteria; step 7 is the check's
const NEXT_STEP = 6;

const isRetryable = (status) => status === 202 || status >= 500;

/** One HTTP exchange; a network error resolves as {status: 0}. */
const request = async (baseUrl, method, path, { token, body, headers = {}, timeoutMs = REQUEST_TIMEOUT_MS } = {}) => {
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: globalThis.AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: json, commandId: res.headers.get('command-id'), retryAfter: res.headers.get('retry-after') };
  } catch (error) {
    return { status: 0, body: null, commandId: null, error: error.name === 'TimeoutError' ? 'timeout' : error.cause?.code || error.message };
  }
};

class LoadClient {
  /**
   * @param {{id: string, baseUrl?: string, balancer?: {pick: () => string, unreachable: (url: string) => void}, token: () => string, phase: string, ops: any[], courses: any[], isReady: () => Promise<boolean>}} options
   */
  constructor(options) {
    Object.assign(this, options);
    this.n = 0;
    this.stats = { requests: 0, s2xx: 0, s202: 0, s5xx: 0, s4xx: 0, network: 0 };
  }

  /**
   * One request, to the client's API or, with a balancer, to the instance it picks; an instance that gave
   * no answer is reported to the balancer.
   */
  async send(method, path, options) {
    const url = this.balancer ? this.balancer.pick() : this.baseUrl;
    const res = await request(url, method, path, options);
    if (res.status === 0 && this.balancer) this.balancer.unreachable(url);
    return res;
  }

  count(res) {
    this.stats.requests += 1;
    if (res.status === 0) this.stats.network += 1;
    else if (res.status === 202) this.stats.s202 += 1;
    else if (res.status >= 500) this.stats.s5xx += 1;
    else if (res.status >= 400) this.stats.s4xx += 1;
    else this.stats.s2xx += 1;
  }

  /** Back-off after a named failure: 250 ms doubling to 2 s, or the server's Retry-After (capped). */
  async backoff(attempt, res) {
    const ra = Number(res?.retryAfter);
    await sleep(Number.isFinite(ra) && ra > 0 ? Math.min(ra * 1000, 3000) : Math.min(250 * 2 ** attempt, 2000));
  }

  /** Sends with `key` until an answer that is not a named failure, within the op's deadline. */
  async sendKeyed(op, path, body, key, deadline) {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send('POST', path, { token: this.token(), body, headers: { 'idempotency-key': key, 'x-request-id': `${op.opId}-${attempt}` } });
      this.count(res);
      op.attempts.push(res.status);
      if (!isRetryable(res.status) && res.status !== 0 && res.status !== 429) return res;
      if (Date.now() > deadline) return res;
      await this.backoff(attempt, res);
    }
  }

  finish(op, res) {
    op.finalStatus = res.status;
    if (res.status >= 200 && res.status < 300) {
      op.outcome = 'recorded';
      op.events = (res.body?.events ?? []).map((e) => e.eventId);
    } else if (res.status >= 400 && res.status < 500) {
      op.outcome = 'refused';
      op.code = res.body?.code ?? res.body?.error?.code ?? String(res.status);
    } else {
      op.outcome = 'unresolved';
    }
  }

  async startCourse() {
    const key = `flt-${this.phase}-${this.id}-${++this.n}-${randomUUID().slice(0, 8)}`;
    const op = { opId: key, phase: this.phase, kind: 'StartCourse', keyed: true, attempts: [], courseId: null };
    this.ops.push(op);
    // A synthetic reference, never a person's.
    const body = { patientRef: `FLT-${key}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' };
    const res = await this.sendKeyed(op, '/courses', body, key, Date.now() + OP_DEADLINE_MS);
    this.finish(op, res);
    if (op.outcome !== 'recorded') return null;
    op.courseId = res.body.courseId;
    const course = { courseId: op.courseId, phase: this.phase, client: this.id, done: 0 };
    this.courses.push(course);
    return course;
  }

  /** A command of the script; keyed or not. */
  async command(course, step, keyed, label = 'load') {
    const command = courseScript()[step];
    const opId = `${course.courseId.slice(0, 12)}-${step}-${randomUUID().slice(0, 8)}`;
    const op = { opId, phase: this.phase, kind: command.type, step, keyed, label, attempts: [], courseId: course.courseId };
    this.ops.push(op);
    const path = `/courses/${course.courseId}/commands`;
    const deadline = Date.now() + OP_DEADLINE_MS;
    if (keyed) {
      this.finish(op, await this.sendKeyed(op, path, command, `k-${opId}`, deadline));
      return op;
    }
    const requestId = `u-${opId}`;
    op.requestId = requestId;
    if (this.probe) this.probe.unkeyedInFlight += 1;
    const res = await this.send('POST', path, { token: this.token(), body: command, headers: { 'x-request-id': requestId } }).finally(() => {
      if (this.probe) this.probe.unkeyedInFlight -= 1;
    });
    this.count(res);
    op.attempts.push(res.status);
    if (!isRetryable(res.status) && res.status !== 0) {
      this.finish(op, res);
      return op;
    }
    if (res.commandId) {
      // The outcome is unknown but the command has an id: read it, never send it blindly again.
      op.resolvedBy = 'status';
      this.finish(op, await this.resolveById(op, course.courseId, command, res.commandId, deadline));
    } else {
      op.resolvedBy = 'correlation';
      this.finish(op, await this.resolveByCorrelation(op, course.courseId, command, requestId, deadline));
    }
    return op;
  }

  /** GET .../commands/:commandId until it says recorded, refused or not_recorded (then: re-send with that key). */
  async resolveById(op, courseId, command, commandId, deadline) {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send('GET', `/courses/${courseId}/commands/${encodeURIComponent(commandId)}`, { token: this.token() });
      op.attempts.push(`status:${res.status}:${res.body?.status ?? ''}`);
      if (res.status === 200 && res.body?.status === 'recorded') return { status: 200, body: { events: res.body.events } };
      if (res.status === 200 && res.body?.status === 'refused') return { status: res.body.error?.statusCode ?? 422, body: res.body.error };
      // A Command-Id the API gave must always have an outcome: 404 breaks the contract (counted as a
      // failure by the run). The command is still resolved, with the same key, so the record checks go on.
      const noReceipt = res.status === 404 && res.body?.code === 'COMMAND_NOT_FOUND';
      if (noReceipt) op.statusNotFound = true;
      if ((res.status === 200 && res.body?.status === 'not_recorded') || noReceipt) {
        op.resent = true;
        return this.sendKeyed(op, `/courses/${courseId}/commands`, command, commandId, deadline);
      }
      // pending, 5xx or a network error: the outcome is still unknown; read again.
      if (Date.now() > deadline) return { status: 0 };
      await this.backoff(attempt, res);
    }
  }

  /**
   * No answer and no Command-Id: wait until the service is ready, then look for the request's
   * correlation id in the course's events for a while (a command still in Temporal lands meanwhile);
   * only if it is not there, send the command again under a new key.
   */
  async resolveByCorrelation(op, courseId, command, requestId, deadline) {
    while (!(await this.isReady())) {
      if (Date.now() > deadline) return { status: 0 };
      await sleep(250);
    }
    const lookUntil = Math.min(deadline, Date.now() + 15000);
    for (let attempt = 0; ; attempt++) {
      const res = await this.send('GET', `/courses/${courseId}/events`, { token: this.token() });
      if (res.status === 200) {
        const mine = res.body.events.filter((e) => e.metadata?.correlationId === requestId);
        if (mine.length > 0) return { status: 200, body: { events: mine } };
      }
      if (Date.now() > lookUntil) break;
      await sleep(500);
    }
    op.resent = true;
    return this.sendKeyed(op, `/courses/${courseId}/commands`, command, `r-${op.opId}`, deadline);
  }

  /** Until `stopAt`: start a course, walk it LOAD_STEPS steps (keyed and unkeyed alternately), repeat. */
  async run(stopAt) {
    while (Date.now() < stopAt) {
      const course = await this.startCourse();
      if (!course) {
        // A refused start would refuse again: stop this client rather than spin (the checks report it).
        if (this.ops[this.ops.length - 1]?.outcome === 'refused') return;
        continue;
      }
      for (let step = 0; step < LOAD_STEPS && Date.now() < stopAt; step++) {
        const op = await this.command(course, step, step % 2 === 1);
        if (op.outcome !== 'recorded') break;
        course.done = step + 1;
      }
    }
  }
}

module.exports = { LoadClient, request, courseScript, NEXT_STEP, LOAD_STEPS };
