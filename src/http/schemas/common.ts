import Type from 'typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. validation_error, not_found' }),
      message: Type.String({ description: 'Human-readable explanation naming the field at fault' }),
      field: Type.Optional(Type.String({ description: 'The request field at fault, when there is one' })),
    }),
  },
);

/**
 * A whole number or null. Not a union with Type.Null(): under the validator's type coercion a union turns 0
 * into null (or null into 0), so `0` would silently mean "default" instead of being checked.
 */
export const NullableInteger = (options: { minimum: number; maximum: number; description: string }) =>
  Type.Unsafe<number | null>({ type: 'integer', nullable: true, ...options });

/** A string or null (see NullableInteger: null must not become ""). */
export const NullableString = (options: { maxLength: number; description: string }) => Type.Unsafe<string | null>({ type: 'string', nullable: true, ...options });

export const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const Pagination = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

export const pageOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });
