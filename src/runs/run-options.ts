// Options objects of the workflows: what the caller gave, over the documented defaults.

/** The options that were given: an undefined one must not override its default when spread over them. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
