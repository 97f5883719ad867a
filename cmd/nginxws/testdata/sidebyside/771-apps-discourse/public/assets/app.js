var app;
