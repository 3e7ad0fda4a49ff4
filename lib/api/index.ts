// Public face of the API layer: createApi (the one router), the local data plane, identities, and
// the API Gateway adapter. See lib/api/README.md.
export { createApi, toProblem, type Api, type ApiDeps } from './router';
export { API_PREFIX, type ApiRequest, type ApiResponse } from './http';
export type { DataPlane, UploadTarget, Page, QueryJob } from '../dataplane/types';
export { tokenAuthenticator, cognitoAuthenticator, claimsAuthenticator, anyOf, type Authenticator, type CognitoOptions, type AuthorizerClaims } from './identity';
export { fromApiGatewayEvent, toApiGatewayResult, type ApiGatewayEvent, type ApiGatewayV1Event, type ApiGatewayV2Event, type ApiGatewayResult } from './lambda-adapter';
export { routes, catalogView } from './routes';
