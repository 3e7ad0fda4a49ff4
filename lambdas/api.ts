// placeholder (being written)
export async function handler(): Promise<unknown> { return { statusCode: 503, body: '' }; }
