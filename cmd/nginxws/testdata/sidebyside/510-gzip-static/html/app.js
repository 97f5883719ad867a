plain app
