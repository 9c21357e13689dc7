/** drover's version; a test keeps it equal to package.json's. Workers and daemons compare it. */
export const droverVersion = "0.1.0";
