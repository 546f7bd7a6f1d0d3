import { describe, expect, it } from 'vitest';
import { ConnectionAdmission, type Admission } from './connection-admission.js';

const caps = { total: 6, keptForRoot: 2, perUid: 3 };
const admitted = (a: Admission) => a.admitted;

describe('ConnectionAdmission', () => {
  it('caps each non-root uid, and gives its slot back on release', () => {
    const admission = new ConnectionAdmission(caps);
    const held = [1, 2, 3].map(() => admission.admit(65534));
    expect(held.every(admitted)).toBe(true);
    const fourth = admission.admit(65534);
    expect(fourth).toMatchObject({ admitted: false, reason: expect.stringContaining('uid 65534 already holds 3') });
    if (held[0]?.admitted) held[0].release();
    expect(admission.admit(65534).admitted).toBe(true);
  });

  it('keeps the last slots for root: users are refused before the total is reached, root is not', () => {
    const admission = new ConnectionAdmission(caps);
    for (let i = 0; i < 3; i++) expect(admission.admit(1000).admitted).toBe(true);
    expect(admission.admit(1001).admitted).toBe(true);
    expect(admission.admit(1002)).toMatchObject({ admitted: false, reason: expect.stringContaining('open to users') });
    expect(admission.admit(0).admitted).toBe(true);
    expect(admission.admit(0).admitted).toBe(true);
    expect(admission.admit(0)).toMatchObject({ admitted: false });
    expect(admission.count).toBe(6);
  });

  it("does not let root's connections eat the users' share", () => {
    const admission = new ConnectionAdmission(caps);
    admission.admit(0);
    for (const uid of [1000, 1000, 1001, 1001]) expect(admission.admit(uid).admitted).toBe(true);
    expect(admission.admit(1002).admitted).toBe(false);
    expect(admission.admit(0).admitted).toBe(true);
  });

  it('counts a release once however often it is called', () => {
    const admission = new ConnectionAdmission(caps);
    const a = admission.admit(1000);
    admission.admit(1000);
    if (a.admitted) {
      a.release();
      a.release();
    }
    expect(admission.heldBy(1000)).toBe(1);
    expect(admission.count).toBe(1);
  });
});
