/**
 * The site of each course seen recently (course id -> site id), bounded, least recently used out.
 * Safe to keep: CourseStarted fixes a course's site and the record is append-only, so an entry is
 * never stale. Only a course's existence at a known site is kept, never its absence.
 */
export class CourseSites {
  private readonly sites = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  get(courseId: string): string | undefined {
    const site = this.sites.get(courseId);
    if (site !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      this.sites.delete(courseId);
      this.sites.set(courseId, site);
    }
    return site;
  }

  set(courseId: string, siteId: string): void {
    this.sites.delete(courseId);
    this.sites.set(courseId, siteId);
    if (this.sites.size > this.capacity) this.sites.delete(this.sites.keys().next().value!);
  }

  get size(): number {
    return this.sites.size;
  }
}
