// Types for non-code imports handled by Vite.
declare module '*.css';
