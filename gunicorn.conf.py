"""Settings every gunicorn of the platform shares; gunicorn reads this file from the folder it starts in
(the repository here, /app in the image), whatever else its command line says.

gunicorn 25 and later open a control socket, by default at ~/.gunicorn/gunicorn.ctl: one path for every
gunicorn of a user, so on one machine (make run starts eight) all but the first fail to bind it and log an
error, and the one that binds it can be stopped or reconfigured by anyone who can reach the socket. Nothing
here uses it: processes are stopped by signals (honcho, Kubernetes), so it stays shut."""

control_socket_disable = True
