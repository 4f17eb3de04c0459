/** A copy of command or event data without its signature (for derived events the signer did not sign). */
export const unsigned = <T extends object>(data: T): Omit<T, 'signature'> =>
  Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'signature')) as Omit<T, 'signature'>;
