import { CourseSites } from './course-sites';

describe('CourseSites', () => {
  it('keeps at most its capacity, forgetting the least recently used course', () => {
    const sites = new CourseSites(2);
    sites.set('c1', 'site-a');
    sites.set('c2', 'site-b');
    expect(sites.get('c1')).toBe('site-a'); // c2 is now the least recently used
    sites.set('c3', 'site-a');
    expect(sites.size).toBe(2);
    expect(sites.get('c2')).toBeUndefined();
    expect(sites.get('c1')).toBe('site-a');
    expect(sites.get('c3')).toBe('site-a');
  });
});
